"""The site agent: camera ingress, lane controllers and device health for the lanes of one instance."""
