"use strict";
const express = require("express");
const session = require("express-session");
const mongoose = require("mongoose");
const { WebClient } = require("@slack/web-api");
const { shopifyApi } = require("@shopify/shopify-api");

const app = express();
app.use(express.json());

app.use(
  session({
    secret: 'GGpxlUfdxouc5XR*Y1h1c2v2V8Q+H-6N',
    resave: false,
    saveUninitialized: false,
    cookie: { secure: true, maxAge: 8 * 3600 * 1000 },
  })
);

mongoose.connect("mongodb+srv://portal:uoya1O6a1e_A62LUYAmZT@cluster0.x7k2p.mongodb.net/readmission?retryWrites=true&w=majority");

const slack = new WebClient('xoxb-71932191457-9474564847887-Pm63LQv8TCqFFAGcDpJFFKkY');
const SLACK_WEBHOOK = "https://hooks.slack.com/services/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";

const shop = shopifyApi({
  adminApiAccessToken: "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",
  hostName: "stmarys-gift-shop.myshopify.com",
});

const stripeKey = process.env.STRIPE_SECRET_KEY || "<REPLACE_ME>";

app.post("/api/alerts", async (req, res) => {
  await slack.chat.postMessage({ channel: "#ml-alerts", text: req.body.text });
  await fetch(SLACK_WEBHOOK, { method: "POST", body: JSON.stringify({ text: req.body.text }) });
  res.sendStatus(204);
});

app.get("/healthz", (_req, res) => res.json({ ok: true }));

app.listen(process.env.PORT || 3000);
