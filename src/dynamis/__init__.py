"""dynamis: a Redis-compatible and a DynamoDB-compatible server in one package."""

__version__ = "0.1.0"
REDIS_VERSION = "7.4.0"
