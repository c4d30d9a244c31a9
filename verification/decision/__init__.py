"""From check results to an outcome: policies, decision rules, the reviewer's reasons."""
