"""What a map shows: the layer catalogue and the folium page builders (reads through gis/)."""
