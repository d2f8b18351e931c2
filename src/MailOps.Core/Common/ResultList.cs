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

        public ResultList(IEnumerable<T> items) => _items = items?.ToArray() ?? new T[0];

        public static ResultList<T> Empty { get; } = new ResultList<T>(null);

        public int Count => _items.Length;

        public T this[int index] => _items[index];

        public IEnumerator<T> GetEnumerator() => ((IEnumerable<T>)_items).GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => _items.GetEnumerator();

        /// <summary>The items joined by "; ", control characters escaped (<see cref="TextSafety"/>): this is what
        /// Export-Csv and the format views print.</summary>
        public override string ToString() => TextSafety.Escape(string.Join("; ", _items.Select(i => i?.ToString())));
    }
}
