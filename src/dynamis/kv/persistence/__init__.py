"""Persistence in Redis's own formats: the RDB value codec (rdb.py, used by DUMP/RESTORE and later by RDB
snapshots and replication), with the checksum (crc64.py) and compression (lzf.py) it relies on."""
