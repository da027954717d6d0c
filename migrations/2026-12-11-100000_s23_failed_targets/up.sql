-- The Dashboard's "Failed deployments" finds deployments with a failed target without reading every target.
CREATE INDEX deployment_targets_failed ON deployment_targets (deployment_id)
    WHERE state IN ('failed', 'timed_out', 'interrupted', 'missed_window');
