#!/bin/sh
# Nightly logical backups; runs from cron on the bastion.
set -eu
STAMP=$(date +%Y%m%d)

PGPASSWORD=$DB_PASSWORD pg_dump -h db-primary.internal -U backup readmission | gzip > /backups/readmission-$STAMP.sql.gz
pg_dump "postgresql://backup:Z51oTP6hLpm1Blel7I59O27ml@db-replica.internal:5432/analytics" | gzip > /backups/analytics-$STAMP.sql.gz
mysqldump --host=claims-db.internal --user=root --password=2AqKxQppZdCFuUOkHyTyjhtap4E3 claims | gzip > /backups/claims-$STAMP.sql.gz
redis-cli -u redis://default:DuvFHQJuX_X6bd91jl4oPHF9@redis.internal:6379 --rdb /backups/redis-$STAMP.rdb

AZURE_STORAGE_CONNECTION_STRING="DefaultEndpointsProtocol=https;AccountName=stmarysbackups;AccountKey=ZLRpiG8Q0A64Je/ily+j6FdNvOvc/jC4Y+SbV4v9xOGJ55jE8Lec1noq+pWSgp0JvJnrB/4Fw4cHQcczAzMufA==;EndpointSuffix=core.windows.net"
export AZURE_STORAGE_CONNECTION_STRING
az storage blob upload-batch -d backups -s /backups --pattern "*$STAMP*"
