"""Remote SPARQL engines: binding parameters into query text, settings presets, the doctor.

:class:`kg.endpoint.EndpointStore` is the store over an engine; this package holds what it and
``hvp doctor`` need besides HTTP.
"""
