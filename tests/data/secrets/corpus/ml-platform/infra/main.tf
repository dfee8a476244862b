terraform {
  required_providers {
    aws     = { source = "hashicorp/aws", version = "~> 5.40" }
    azurerm = { source = "hashicorp/azurerm", version = "~> 3.95" }
  }
}

provider "aws" {
  region     = "eu-west-2"
  access_key = "AKIAEZ2MOGPNLKVUH5ON"
  secret_key = "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"
}

variable "db_password" {
  type      = string
  sensitive = true
}

resource "aws_db_instance" "readmission" {
  identifier        = "readmission-prod"
  engine            = "postgres"
  engine_version    = "16.2"
  instance_class    = "db.m6g.large"
  allocated_storage = 200
  username          = "readmission"
  password          = "M+GNfvJe_NwuTf8TYh*V~"
  storage_encrypted = true
}

resource "aws_db_instance" "analytics" {
  identifier     = "analytics-prod"
  engine         = "postgres"
  instance_class = "db.t4g.medium"
  username       = "analyst"
  password       = var.db_password
}

resource "azurerm_function_app" "exporter" {
  name                       = "readmission-exporter"
  storage_account_access_key = "vfwKfdaEP+cQ6gYBkGWVhrpUKvGJ8tsuTiUntowkXAtAHZ/qzL6a8/b44HzwJLtI/wciS3Fk73vCS2w2fbAk7g=="
  app_settings = {
    AzureWebJobsStorage = "DefaultEndpointsProtocol=https;AccountName=stmarysexporter;AccountKey=KEupLnf7sog4LbIn7o600NYz38Ziglt6mFBFSSTHMa5fF+ijgN+u++z/jqfUPWPfwuRQZKxbh+R4MnJXUhWXcw==;EndpointSuffix=core.windows.net"
  }
}

resource "aws_security_group_rule" "db_from_vpc" {
  type        = "ingress"
  from_port   = 5432
  to_port     = 5432
  protocol    = "tcp"
  cidr_blocks = ["10.20.0.0/16"]
}
