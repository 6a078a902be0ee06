"""Service-developer export: de-identified aggregates per unit, programme and period."""
