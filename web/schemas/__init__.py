"""marshmallow schemas of the JSON API, one module per resource; ids are dump-only everywhere."""
