"""pytest plugin for testing code that uses takeone-async (fixtures land with the sandbox)."""
