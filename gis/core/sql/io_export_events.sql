-- events for export (geometry NULL for events that still need a location); inside :scope
-- (gm_in_region prefix, NULL: everywhere), so events without a unit go to unlimited keys only
SELECT code, category, description, channel, address, reporter_name, reporter_phone,
       reported_at, geom
FROM event
WHERE gm_in_region(coalesce(community_code, subdistrict_code, region_code), :scope)
ORDER BY code
