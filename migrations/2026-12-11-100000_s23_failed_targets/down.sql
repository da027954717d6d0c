DROP INDEX IF EXISTS deployment_targets_failed;
