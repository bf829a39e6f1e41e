"""OSDI (Open Supporter Data Interface) facade: HAL+JSON over the same services and tenancy as /api/v1/, so tools
written for Action Network (parsons, the `osdi` package) work against the coalition with a base URL change."""
