"""Commands of the ``parking`` CLI that live outside `parking.cli`, one module per noun.

`parking.cli` registers them into its group. They only parse options, call the core or a service and
present the result; unlike the pure packages they serve (`parking.tariffs`), they may import click,
the settings, the database layer, the models and the services.
"""
