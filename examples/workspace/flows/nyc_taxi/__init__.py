"""Building blocks of the NYC Green Taxi pipeline: trip files, source, storage, statistics."""
