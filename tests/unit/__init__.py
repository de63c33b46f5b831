"""The unit tier: the kit's modules on their own, without the dataset, bubblewrap or a notebook kernel."""
