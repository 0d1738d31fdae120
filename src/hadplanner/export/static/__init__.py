"""Assets of the HTML maps (Leaflet, shipped, see README.md) and the code that inlines them."""
