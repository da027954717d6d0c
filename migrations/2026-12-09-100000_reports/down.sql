DROP TABLE compliance_snapshots;
DROP TABLE patch_first_seen;
