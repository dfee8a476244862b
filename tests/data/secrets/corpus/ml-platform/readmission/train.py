"""Train the 30-day readmission model, log it to Weights & Biases and push it to the Hub."""
import argparse
import os

import pandas as pd
import wandb
import xgboost as xgb
from huggingface_hub import HfApi
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

from readmission.features import build_features

# TODO(ml-platform): read these from the vault before the audit
wandb.login(key="4882eb37d4052a3bd9030e8c971da23fec3c0c3c")
HF_TOKEN = "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"

DATA_SHA256 = "a668112ef9ab1f0b4e45b09fc2ee89b030bf0437da6a78591ba2bfaa2cb3ffc4"
EXPERIMENT_ID = "f41e400a-9415-4ee2-baa1-cb6df96c6200"
BASE_COMMIT = "fc9c2a7eb52a88aa138ddbcc77205eedd3941141"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", default="data/raw/patients_2024q1.csv")
    p.add_argument("--max-depth", type=int, default=6)
    p.add_argument("--eta", type=float, default=0.1)
    args = p.parse_args()

    df = pd.read_csv(args.data)
    X, y = build_features(df), df["readmitted_30d"]
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=7)

    run = wandb.init(project="readmission", config=vars(args))
    model = xgb.XGBClassifier(max_depth=args.max_depth, learning_rate=args.eta, n_estimators=400)
    model.fit(X_train, y_train)
    auc = roc_auc_score(y_test, model.predict_proba(X_test)[:, 1])
    run.log({"auc": auc})

    model.save_model("model/readmission-xgb.json")
    api = HfApi(token=HF_TOKEN)
    api.upload_file(path_or_fileobj="model/readmission-xgb.json", path_in_repo="readmission-xgb.json",
                    repo_id="stmarys/readmission-xgb", repo_type="model")
    print(f"auc={auc:.3f}")


if __name__ == "__main__":
    main()
