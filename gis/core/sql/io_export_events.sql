-- events for export (geometry NULL for events that still need a location)
SELECT code, category, description, channel, address, reporter_name, reporter_phone,
       reported_at, geom
FROM event ORDER BY code
