provider "datadog" {
  api_key = "15e01b66c676e6f8b7119b1cd56e5996"
  app_key = "d211e6c854ca88c2015166923002b43fd803ec8e"
  api_url = "https://api.datadoghq.eu/"
}

provider "datadog" {
  alias   = "staging"
  api_key = var.datadog_api_key
  app_key = var.datadog_app_key
}

resource "datadog_monitor" "auc_drop" {
  name    = "readmission AUC below 0.70"
  type    = "metric alert"
  query   = "avg(last_1d):avg:readmission.auc{env:prod} < 0.70"
  message = "Model quality dropped. @slack-ml-alerts"
}
