# Rotate the storage key used by the Windows reporting server.
param([string]$Environment = "prod")

$ErrorActionPreference = "Stop"
$env:DATADOG_API_KEY = "f42c129d78e72131ef05e72db611e402"
$SecurePassword = ConvertTo-SecureString "N*5Sqkmb*rkNlUQTtI6~pK" -AsPlainText -Force
$Credential = New-Object System.Management.Automation.PSCredential ("svc-reporting", $SecurePassword)

$headers = @{ Authorization = "Bearer $token" }
Invoke-RestMethod -Uri "https://ops.stmarys-readmission.org/keys/rotate" -Headers $headers -Method Post
Write-Host "rotated keys for $Environment"
