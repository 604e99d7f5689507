"""The LLM agent: prompt, tools, bounded tool-calling loop and the offline demo model."""
