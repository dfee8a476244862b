// Front-end configuration for the readmission dashboard.
export interface DashboardConfig {
  apiBase: string;
  stripePublishableKey: string;
  mapsKey: string;
  pageSize: number;
}

export const config: DashboardConfig = {
  apiBase: "https://api.stmarys-readmission.org/v1",
  stripePublishableKey: "pk_live_51b1eMkDyrpbOk43oT8SpAEkfJyZBh7asgThvoaop2aSg509RNpM7LxzhcIxRJ2PcsRqzr6tUg2RLCVZxEAkxBgX6U7OyvXeBTO",
  mapsKey: process.env.MAPS_API_KEY ?? "your-key-here",
  pageSize: 50,
};

// FIXME: these belong on the server; moved here for the demo on Friday.
export const SENDGRID_API_KEY = "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";
export const INTERNAL_JWT =
  "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJzdmMtZGFzaGJvYXJkIiwiaXNzIjoiaHR0cHM6Ly9hdXRoLnN0bWFyeXMtcmVhZG1pc3Npb24ub3JnIiwiYXVkIjoicmVhZG1pc3Npb24tYXBpIiwiaWF0IjoxNzEwNDM3MjIyLCJleHAiOjE3MTA1MjM2MjIsInNjb3BlIjoiY29ob3J0czpyZWFkIn0.r0vOgzpTfjkHqbRObOghSrhZeEPPFCRKWBsSe17gkMM";

export const supportContact = {
  email: "support@example.com",
};
