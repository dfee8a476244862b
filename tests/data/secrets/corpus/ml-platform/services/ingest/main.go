package main

import (
	"context"
	"database/sql"
	"log"
	"os"
	"time"

	_ "github.com/lib/pq"
	"github.com/slack-go/slack"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"
)

const slackBotToken = "xoxb-29988945326-9712634346925-O2IMLezUzLqoKsyGbestaKLX"

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	dsn := "postgres://ingest:fF5evVg91RfFDSCegi7QEtB9z9H@db-primary.internal:5432/readmission?sslmode=require"
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	client_secret := "vB**gS~#8+W4+9nLpa_w-h2KOD3"
	twilioKey := "SK92558980c08d86ac0388bdfb23627397"
	mongoURI := "mongodb+srv://ingest:RG3f9_z_vFs7Gs33IrFviVqDQ@cluster1.m4q8z.mongodb.net/events"
	mc, err := mongo.Connect(ctx, options.Client().ApplyURI(mongoURI))
	if err != nil {
		log.Fatal(err)
	}
	defer mc.Disconnect(ctx)

	traceID := "57edfe5e-eb98-483b-9d08-05f2fe731b15"
	api := slack.New(slackBotToken)
	_, _, _ = api.PostMessage("#ingest", slack.MsgOptionText("ingest started "+traceID, false))
	if err := run(ctx, db, mc, client_secret, twilioKey); err != nil {
		log.Printf("ingest failed: %v", err)
		os.Exit(1)
	}
}
