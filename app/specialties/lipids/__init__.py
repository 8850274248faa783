"""Lipids: familial hypercholesterolaemia case finding and lipid management (NICE CG71, NG238)."""
