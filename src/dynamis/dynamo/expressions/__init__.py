"""DynamoDB's expression language: parsed once per distinct text (parser.py), evaluated per item (evaluate.py)."""
