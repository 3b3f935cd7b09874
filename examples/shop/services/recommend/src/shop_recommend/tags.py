"""What each product of the shop (the ids of @shop/data) is about."""

TAGS: dict[str, frozenset[str]] = {
    "beans": frozenset({"coffee", "consumable"}),
    "filter": frozenset({"coffee", "brewing", "consumable"}),
    "grinder": frozenset({"coffee", "brewing", "hardware"}),
    "kettle": frozenset({"brewing", "hardware", "tea"}),
    "mug": frozenset({"coffee", "tea", "tableware"}),
}
