"""Names shared across the code location: asset groups, resource keys, tags."""

SALES_GROUP = "sales"
FORECASTING_GROUP = "forecasting"
VALIDATION_GROUP = "validation"
PLANNING_GROUP = "planning"
REPORTING_GROUP = "reporting"

IO_MANAGER_KEY = "orchestration_io_manager"

# Who answers for the assets in the UI's catalog (an owner is an e-mail or ``team:NAME``).
OPERATIONS_OWNER = "team:bakery-operations"
