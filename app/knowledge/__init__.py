"""The business's reference document: its website crawled safely, its text, its conflicts."""
