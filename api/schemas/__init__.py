"""Answer models, one module per resource; ``common`` holds GeoJSON, pages and errors."""
