"""Helpers for studio that need no Django: development services and the like."""
