"""Remote sources: one HTTP layer, the DeepStateMap history client, ArcGIS and URL loading."""
