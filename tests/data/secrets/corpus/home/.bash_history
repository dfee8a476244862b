ls -la
cd ~/src/readmission
export OPENAI_API_KEY=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
huggingface-cli login --token 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
mysql -h claims-db.internal -u admin -p'gRuP36uNILYx22Mv8TL0' claims
curl -u admin:Dkn4SPnKXNOsKhvrFq http://rabbitmq.internal:15672/api/queues
git log --oneline -3
git show 0b899602c372ab000e7f8dfbe9312b8e494e39e7
ssh -i ~/.ssh/id_ed25519 deploy@10.0.4.12
ping -c 3 192.168.1.1
echo $GITHUB_TOKEN
python -m readmission.train --max-depth 6
