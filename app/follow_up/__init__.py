"""Follow-up actions a consultant's advice asks for, tracked until the practice or a result closes them."""
