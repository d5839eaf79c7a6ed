"""Outputs: exports, reports and the dashboard. Exports that leave the machine are pseudonymised by default."""
