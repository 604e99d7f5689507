"""The LLM agent: prompt, tools, bounded tool loop, and the hand-over to the model-free flow."""
