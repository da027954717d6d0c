DROP TABLE deployment_targets;
DROP TABLE deployments;
DROP TABLE maintenance_windows;
