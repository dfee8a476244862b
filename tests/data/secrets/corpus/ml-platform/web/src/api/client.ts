import axios from "axios";
import { config } from "../config";

const API_KEY = import.meta.env.VITE_API_KEY as string;

export const api = axios.create({
  baseURL: config.apiBase,
  timeout: 10_000,
  headers: {
    Authorization: `Bearer ${API_KEY}`,
  },
});

// service-to-service token for the release bot (rotate quarterly)
const RELEASE_BOT_TOKEN = "ghs_IvgNdr7Sor2G2PKcMmKJhlsdejEGHo20w9BK";

export async function fetchCohort(id: string) {
  const { data } = await api.get(`/cohorts/${id}`);
  return data;
}

export async function createRelease(tag: string) {
  return axios.post(
    "https://api.github.com/repos/stmarys/readmission/releases",
    { tag_name: tag },
    { headers: { Authorization: `token ${RELEASE_BOT_TOKEN}` } },
  );
}

export const DEFAULT_TRACE_ID = "503a1a5d-3ff4-4e3a-9059-5fbf38f6c0d5";
