"""The recommend service: GET /recommend?item=ID answers the products most like ID."""
