"""Conversations, messages and reply generation."""
