"""Drop incomplete rows."""


def clean(lines: list[str]) -> list[str]:
    return [line for line in lines if "," in line and "" not in line.split(",")]
