from deletion_console.engine.plan import plans


def target_sections(request):
    """The navigation's entry per kind of target: every plan that declares a list."""
    return {"target_sections": [plan.listing for plan in plans() if plan.listing]}
