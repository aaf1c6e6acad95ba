"""Command line: ``argilla-maint``; thin adapters over service.ops (never imports service.http)."""
