"""HTTP concerns around the application: response headers and CORS."""
