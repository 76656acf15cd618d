"""Page/limit arithmetic and the spec's `pagination` object."""

from dataclasses import dataclass


@dataclass(frozen=True)
class PageRequest:
    page: int
    limit: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.limit


def pagination(request: PageRequest, total: int) -> dict:
    return {
        "current_page": request.page,
        "per_page": request.limit,
        "total": total,
        "total_pages": -(-total // request.limit),
    }
