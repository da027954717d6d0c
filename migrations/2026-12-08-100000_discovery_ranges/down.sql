DROP TABLE discovery_ranges;
