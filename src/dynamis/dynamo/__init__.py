"""The DynamoDB-compatible server: HTTP API (http.py) over the operations (api.py) over SQLite storage."""
