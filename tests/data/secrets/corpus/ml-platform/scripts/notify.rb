#!/usr/bin/env ruby
# Post the nightly model report to Slack and the ops API.
require 'net/http'
require 'json'

CONFIG = {
  'token' => '3gwd21gEbJKZMp7h11uxSmBK1tOPYLGM',
  :webhook => 'https://hooks.slack.com/services/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',
  'api_base' => 'https://ops.stmarys-readmission.org',
  'channel' => '#ml-reports'
}.freeze

def post_report(summary)
  uri = URI(CONFIG[:webhook])
  Net::HTTP.post(uri, { text: summary }.to_json, 'Content-Type' => 'application/json')
  ops = URI("#{CONFIG['api_base']}/reports")
  req = Net::HTTP::Post.new(ops, 'Authorization' => "Token #{CONFIG['token']}")
  req.body = { summary: summary }.to_json
  Net::HTTP.start(ops.host, ops.port, use_ssl: true) { |http| http.request(req) }
end

post_report(File.read(ARGV.fetch(0)))
