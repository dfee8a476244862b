"""Clients for the LLM services used to summarise discharge notes."""
import os

import anthropic
import google.generativeai as genai
import replicate
from openai import OpenAI

ANTHROPIC_API_KEY = "sk-ant-api03-gb97rl9nBEsnAVhMFt5zTMh36-0iHIqR_VD14RPD6fcYkXrBSYrkNF2rXQ0euxQZcTYROgUXz2nwYhJvne9YyAc4LPB6YAA"
claude = anthropic.Anthropic(api_key=ANTHROPIC_API_KEY)

openai_client = OpenAI(api_key="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")

genai.configure(api_key="AIzaSyqAoqadT3rjGTbhQbg45_E5HFCu4jWCMdn")
gemini = genai.GenerativeModel("gemini-1.5-pro")

replicate_client = replicate.Client(api_token="r8_rLR1oTXcGB8VYLslqBI0ihDo8bCEJUdxo5Jpl")

# Staging uses its own key from the environment; never hard-code it here.
STAGING_KEY = os.environ.get("OPENAI_API_KEY", "<your-api-key>")


def summarise(note: str, provider: str = "claude") -> str:
    prompt = "Summarise this discharge note for a follow-up nurse in five bullet points:\n\n" + note
    if provider == "claude":
        msg = claude.messages.create(model="claude-3-5-sonnet-20240620", max_tokens=400,
                                     messages=[{"role": "user", "content": prompt}])
        return msg.content[0].text
    if provider == "openai":
        r = openai_client.chat.completions.create(model="gpt-4o",
                                                  messages=[{"role": "user", "content": prompt}])
        return r.choices[0].message.content
    return gemini.generate_content(prompt).text
