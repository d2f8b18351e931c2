using System.Collections;
using System.Collections.Generic;
using System.Linq;

namespace MailOps
{
    /// <summary>
    /// A read-only list that prints as its items joined by "; ". PowerShell's ConvertTo-Json sees an
    /// array; Export-Csv (which calls ToString on every property) sees readable text instead of
    /// "System.String[]". Used for every multi-valued property of a result object.
    /// </summary>
    public sealed class ResultList<T> : IReadOnlyList<T>
    {
        private readonly T[] _items;

        public ResultList(IEnumerable<T>? items) => _items = items?.ToArray() ?? new T[0];

        private ResultList(T[] items, bool _) => _items = items;

        /// <summary>A list over <paramref name="items"/> itself, not a copy: for an array nobody else holds.</summary>
        internal static ResultList<T> Wrap(T[] items) => new ResultList<T>(items, false);

        public static ResultList<T> Empty { get; } = new ResultList<T>(null);

        public int Count => _items.Length;

        public T this[int index] => _items[index];

        public IEnumerator<T> GetEnumerator() => ((IEnumerable<T>)_items).GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => _items.GetEnumerator();

        /// <summary>The items joined by "; ", control characters escaped (<see cref="TextSafety"/>): this is what
        /// Export-Csv and the format views print.</summary>
        public override string? ToString()
        {
            // Export-Csv asks every row for every list: no list and one item are the common cases, answered without joining.
            if (_items.Length == 0) return "";
            if (_items.Length == 1) return TextSafety.Escape(_items[0]?.ToString() ?? "");
            return TextSafety.Escape(string.Join("; ", _items.Select(i => i?.ToString())));
        }
    }
}
