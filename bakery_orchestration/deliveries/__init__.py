"""Delivery tracking: alerts for purchase orders that are due, late or not received."""
